/** Hash slot planning: pure functions, no I/O. */

export const SLOT_COUNT = 16384;

/** An inclusive range of hash slots. */
export interface SlotRange {
    start: number;
    end: number;
}

/**
 * Splits the 16384 slots among `masters` the way `redis-cli --cluster create`
 * does, so a cluster built here has the slot map users know from the docs
 * (3 masters: 0-5460, 5461-10922, 10923-16383).
 */
export function splitSlots(masters: number): SlotRange[] {
    if (!Number.isInteger(masters) || masters < 1) {
        throw new Error(`cannot split slots among ${masters} masters`);
    }
    const perMaster = SLOT_COUNT / masters;
    const ranges: SlotRange[] = [];
    let first = 0;
    let cursor = 0;
    for (let i = 0; i < masters; i++) {
        let last = Math.round(cursor + perMaster - 1);
        if (last > SLOT_COUNT - 1 || i === masters - 1) {
            last = SLOT_COUNT - 1;
        }
        ranges.push({ start: first, end: last });
        first = last + 1;
        cursor += perMaster;
    }
    return ranges;
}

export function countSlots(ranges: SlotRange[]): number {
    return ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
}

/** "0-5460" style, the way outputs and previews show ranges. */
export function formatRange(r: SlotRange): string {
    return r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`;
}

export function parseRange(text: string): SlotRange {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
    if (!m) {
        throw new Error(`not a slot range: "${text}"`);
    }
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    return { start, end };
}

/** Merges sorted or unsorted ranges into the fewest contiguous ones. */
export function mergeRanges(ranges: SlotRange[]): SlotRange[] {
    const sorted = [...ranges].sort((a, b) => a.start - b.start);
    const out: SlotRange[] = [];
    for (const r of sorted) {
        const last = out[out.length - 1];
        if (last && r.start <= last.end + 1) {
            last.end = Math.max(last.end, r.end);
        } else {
            out.push({ ...r });
        }
    }
    return out;
}

/** Slots in `0..16383` that none of the ranges cover. */
export function uncoveredSlots(ranges: SlotRange[]): SlotRange[] {
    const gaps: SlotRange[] = [];
    let next = 0;
    for (const r of mergeRanges(ranges)) {
        if (r.start > next) {
            gaps.push({ start: next, end: r.start - 1 });
        }
        next = Math.max(next, r.end + 1);
    }
    if (next < SLOT_COUNT) {
        gaps.push({ start: next, end: SLOT_COUNT - 1 });
    }
    return gaps;
}

/** The slots both lists cover, merged. */
export function intersectRanges(a: SlotRange[], b: SlotRange[]): SlotRange[] {
    const out: SlotRange[] = [];
    for (const x of a) {
        for (const y of b) {
            const start = Math.max(x.start, y.start);
            const end = Math.min(x.end, y.end);
            if (start <= end) {
                out.push({ start, end });
            }
        }
    }
    return mergeRanges(out);
}

/** Every slot of the ranges, in order. */
export function slotsOf(ranges: SlotRange[]): number[] {
    return ranges.flatMap((r) => Array.from({ length: r.end - r.start + 1 }, (_, i) => r.start + i));
}
