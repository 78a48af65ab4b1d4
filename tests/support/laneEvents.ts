/** What a lane's reporter (laneReporter.ts) tells the lane runner (lanes.ts): one line of JSON per event. */
import * as fs from "fs";

/** `file` is relative to the project; `at` in ms since the epoch. */
export type LaneEvent =
    | { event: "file-start"; file: string; at: number }
    | { event: "file-end"; file: string; at: number; seconds: number; passes: number; failures: number; pending: number }
    | { event: "end"; at: number; passes: number; failures: number; pending: number };

export function writeLaneEvent(progressFile: string, e: LaneEvent): void {
    fs.appendFileSync(progressFile, `${JSON.stringify(e)}\n`);
}

/** The events written so far to a progress file (none if it does not exist yet). */
export function readLaneEvents(progressFile: string): LaneEvent[] {
    if (!fs.existsSync(progressFile)) return [];
    return fs
        .readFileSync(progressFile, "utf8")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as LaneEvent);
}
