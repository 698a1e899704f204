import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../io/jsonl.js';
import { installInterruptHandler } from './interrupt.js';
import { RunLogger } from './logger.js';
import { createProgress } from './progress.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  const s = new EventEmitter() as EventEmitter & { isTTY: boolean; columns: number; write(c: string): boolean; cursorTo(): boolean; clearLine(): boolean; moveCursor(): boolean };
  Object.assign(s, {
    isTTY,
    columns: 120,
    write: (c: string) => chunks.push(c) > 0,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  return { s, text: () => chunks.join('') };
}

describe('createProgress without a terminal', () => {
  it('prints a plain line at most every interval, with step/s, ETA and the last loss', () => {
    let t = 0;
    const out = stream(false);
    const p = createProgress({ total: 100, start: 0, label: 'train', stream: out.s as never, intervalSeconds: 10, now: () => t });
    t = 5_000;
    p.update(10, { loss: 0.5 });
    expect(out.text()).toBe('');
    t = 10_000;
    p.update(20, { loss: 0.25 });
    expect(out.text()).toBe('train 20/100 (20.0%) 2.00 step/s ETA 40s loss=0.2500\n');
    t = 12_000;
    p.update(24, { loss: 0.2 });
    p.stop();
    p.stop();
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('train 24/100 (24.0%) 2.00 step/s ETA 38s loss=0.2000');
  });

  it('measures speed from the resume step, not from zero', () => {
    let t = 0;
    const out = stream(false);
    const p = createProgress({ total: 1000, start: 900, stream: out.s as never, intervalSeconds: 1, now: () => t });
    t = 10_000;
    p.update(950);
    expect(out.text()).toContain('950/1000 (95.0%) 5.00 step/s ETA 10s');
  });
});

describe('createProgress on a terminal', () => {
  it('draws a cli-progress bar with step/s and values', () => {
    const out = stream(true);
    const p = createProgress({ total: 10, label: 'bar-test', stream: out.s as never });
    p.update(5, { loss: 0.125 });
    p.stop();
    expect(out.text()).toContain('bar-test');
    expect(out.text()).toContain('5/10');
    expect(out.text()).toContain('loss=0.1250');
  });
});

describe('installInterruptHandler', () => {
  it('aborts on the first Ctrl-C and exits with 130 on the second', () => {
    const target = new EventEmitter();
    const controller = new AbortController();
    const exits: number[] = [];
    const out = stream(false);
    const remove = installInterruptHandler({
      controller,
      logger: new RunLogger({ stream: out.s }),
      exit: (c) => exits.push(c),
      target: target as never,
    });
    target.emit('SIGINT');
    expect(controller.signal.aborted).toBe(true);
    expect(exits).toEqual([]);
    expect(out.text()).toContain('stopping at the next step boundary');
    target.emit('SIGINT');
    expect(exits).toEqual([130]);
    remove();
    expect(target.listenerCount('SIGINT')).toBe(0);
  });
});

describe('RunLogger', () => {
  it('writes every level to log.jsonl and prints info and above with fields', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ifsq-log-')), 'log.jsonl');
    const out = stream(false);
    const root = new RunLogger({ file, stream: out.s, level: 'info' });
    const log = root.child({ stage: 'train', plugin: 'ifsq' });
    log.debug('hidden detail', { k: 1 });
    log.info('step done', { loss: 0.123456, note: 'two words' });
    const records = readJsonl<{ level: string; msg: string; stage: string; loss?: number; time: string }>(file);
    expect(records.map((r) => r.level)).toEqual(['debug', 'info']);
    expect(records[1]).toMatchObject({ msg: 'step done', stage: 'train', loss: 0.123456 });
    expect(out.text()).not.toContain('hidden detail');
    expect(out.text()).toMatch(/^\d\d:\d\d:\d\d info {2}\[train\/ifsq\] step done loss=0\.12346 note="two words"\n$/);
  });
});
