import { Ajv, type ValidateFunction } from 'ajv';

/**
 * The one ajv instance of the process: all errors, strict mode (so a typo in a plugin's options schema is caught
 * when it is compiled).
 */
export const ajv = new Ajv({ allErrors: true, strict: true });

const compiled = new WeakMap<object, ValidateFunction>();

/** Compile a schema once and reuse the validator for the same schema object. */
export function compileSchema(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}
