#!/usr/bin/env node
/** The `ifsq` executable: parses the command line and exits with the command's code. */
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
