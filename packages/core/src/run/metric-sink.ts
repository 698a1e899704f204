import type { MetricRecord, MetricSink } from '../contracts/services.js';
import { appendJsonl, readJsonl } from '../io/jsonl.js';

/** A record as stored in `metrics.jsonl`: the {@link MetricRecord} plus the ISO time it was written. */
export interface StoredMetricRecord extends MetricRecord {
  /** ISO-8601 time of the write. */
  time: string;
}

/**
 * {@link MetricSink} appending to a JSON Lines file (`metrics.jsonl`): one record per line, never rewritten, so
 * records of an interrupted attempt stay and a resumed attempt appends after them.
 */
export class JsonlMetricSink implements MetricSink {
  /** Path of the JSON Lines file. */
  readonly path: string;

  /** @param path - the `metrics.jsonl` file (created on first write). */
  constructor(path: string) {
    this.path = path;
  }

  write(record: MetricRecord): void {
    for (const [k, v] of Object.entries(record.values)) {
      if (typeof v !== 'number') throw new Error(`metric ${record.stage}/${k}: expected a number, got ${typeof v}`);
    }
    const stored: StoredMetricRecord = { time: new Date().toISOString(), ...record };
    appendJsonl(this.path, stored);
  }

  read(): StoredMetricRecord[] {
    return readJsonl<StoredMetricRecord>(this.path);
  }
}
