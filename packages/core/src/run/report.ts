import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { ReportSection } from '../stage/stage.js';

/** A report section with the stage that added it. */
export interface StoredReportSection extends ReportSection {
  /** Stage key that added the section. */
  stage: string;
}

/** Contents of `report.json`. */
export interface ReportRecord {
  /** Run title (pipeline name). */
  title: string;
  /** Header facts (backend, seed, ...). */
  facts: Record<string, string | number>;
  /** Stage statuses in pipeline order. */
  stages: { name: string; status: string }[];
  /** Sections in the order they were added. */
  sections: StoredReportSection[];
}

function formatNumber(v: number | null): string {
  if (v === null || Number.isNaN(v)) return 'n/a';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toFixed(4) : v.toExponential(4);
}

/** Render a report as Markdown. */
export function renderReportMarkdown(report: ReportRecord): string {
  const lines: string[] = [`# ${report.title}`, ''];
  for (const [k, v] of Object.entries(report.facts)) lines.push(`- **${k}**: ${v}`);
  if (report.stages.length > 0) {
    lines.push('', '| stage | status |', '| --- | --- |');
    for (const s of report.stages) lines.push(`| ${s.name} | ${s.status} |`);
  }
  for (const section of report.sections) {
    lines.push('', `## ${section.title}`, '', `_stage: ${section.stage}_`);
    if (section.text) lines.push('', section.text.trim());
    if (section.values && Object.keys(section.values).length > 0) {
      lines.push('', '| name | value |', '| --- | ---: |');
      for (const [k, v] of Object.entries(section.values)) lines.push(`| ${k} | ${formatNumber(v)} |`);
    }
    for (const image of section.images ?? []) lines.push('', `![${section.title}](${image})`);
    if (section.provenance && Object.keys(section.provenance).length > 0) {
      lines.push('', '<details><summary>provenance</summary>', '', '```json', JSON.stringify(section.provenance, null, 2), '```', '', '</details>');
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The run report: `report.json` (data) and `report.md` (rendered), both rewritten atomically on every change.
 * Sections of stages skipped on a rerun are kept; a stage that runs again replaces its own sections.
 */
export class RunReport {
  readonly #dir: string;
  readonly #record: ReportRecord;

  /** @param dir - run directory; an existing `report.json` there is loaded. */
  constructor(dir: string, title: string, facts: Record<string, string | number>) {
    this.#dir = dir;
    const path = join(dir, 'report.json');
    let sections: StoredReportSection[] = [];
    if (existsSync(path)) {
      try {
        sections = (JSON.parse(readFileSync(path, 'utf8')) as ReportRecord).sections ?? [];
      } catch {
        sections = [];
      }
    }
    this.#record = { title, facts, stages: [], sections };
  }

  /** Drop the sections a stage added in an earlier attempt. */
  clearStage(stage: string): void {
    this.#record.sections = this.#record.sections.filter((s) => s.stage !== stage);
  }

  /** Set the stage status table. */
  setStages(stages: { name: string; status: string }[]): void {
    this.#record.stages = stages;
  }

  /** Add a section and write both files. */
  async add(stage: string, section: ReportSection): Promise<void> {
    if (typeof section.title !== 'string' || section.title === '') throw new Error('report section: expected a non-empty title');
    this.#record.sections.push({ stage, ...section });
    await this.write();
  }

  /** Write `report.json` and `report.md`. */
  async write(): Promise<void> {
    await writeFileAtomic(join(this.#dir, 'report.json'), `${JSON.stringify(this.#record, null, 2)}\n`);
    await writeFileAtomic(join(this.#dir, 'report.md'), renderReportMarkdown(this.#record));
  }

  /** The current report data. */
  get record(): ReportRecord {
    return this.#record;
  }
}
