// The story's timeline: everything that happened, as "t+seconds  source  what", printed as it
// happens and kept for the summary. Sources: what the lab injected, what wanpulse decided (status
// file), what the kernel route became, what the traffic saw, what MQTT published.
export type Source = 'lab' | 'inject' | 'wanpulse' | 'route' | 'traffic' | 'mqtt';

export interface Entry {
  /** epoch ms */
  at: number;
  source: Source;
  text: string;
}

const WIDTH: Record<Source, string> = {
  lab: 'lab     ', inject: 'INJECT  ', wanpulse: 'wanpulse', route: 'route   ', traffic: 'traffic ', mqtt: 'mqtt    ',
};

export class Timeline {
  readonly entries: Entry[] = [];
  constructor(readonly startMs: number, private readonly print: (line: string) => void = (l) => console.log(l)) {}

  add(source: Source, text: string, at = Date.now()): void {
    const e = { at, source, text };
    this.entries.push(e);
    this.print(this.format(e));
  }

  format(e: Entry): string {
    return `t+${((e.at - this.startMs) / 1000).toFixed(3).padStart(7)}  ${WIDTH[e.source]}  ${e.text}`;
  }

  heading(text: string): void {
    this.print(`\n── ${text} ${'─'.repeat(Math.max(0, 70 - text.length))}`);
  }
}

/** "812 ms (floor 700–900)" style figure next to what an ideal tracker could do. */
export function vsFloor(ms: number | null, floor?: { min: number; max: number }): string {
  if (ms === null) return 'not observed';
  return floor ? `${Math.round(ms)} ms (floor ${floor.min}–${floor.max} ms)` : `${Math.round(ms)} ms`;
}
