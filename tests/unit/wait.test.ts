import { strict as assert } from "assert";
import { Deadline, PermanentError, waitUntil } from "../../components/engine/wait";

describe("waiting with deadlines", () => {
    it("shows the probe's last error when the deadline passes", async () => {
        let calls = 0;
        await assert.rejects(
            waitUntil(new Deadline(150, "cluster bootstrap"), () => "nodes to answer PING", async () => {
                calls++;
                throw new Error(`connect ECONNREFUSED 10.38.0.11:6379 (try ${calls})`);
            }, 20),
            (err: Error) => {
                assert.match(err.message, /^cluster bootstrap timed out while waiting for nodes to answer PING \(last error: connect ECONNREFUSED 10\.38\.0\.11:6379 \(try \d+\)\)$/);
                return true;
            },
        );
        assert.ok(calls > 1, "the probe was retried until the deadline");
    });

    it("ends at once on an error waiting cannot heal: a refused password, a bug in the probe", async () => {
        for (const error of [new PermanentError("redis-1 (10.38.0.11) rejected the configured password"), new TypeError("cannot read properties of undefined")]) {
            const started = Date.now();
            let calls = 0;
            await assert.rejects(
                waitUntil(new Deadline(10000, "cluster bootstrap"), () => "anything", async () => {
                    calls++;
                    throw error;
                }),
                (err: Error) => err === error,
            );
            assert.equal(calls, 1);
            assert.ok(Date.now() - started < 1000);
        }
    });

    it("returns the first defined value, and a deadline extended by work time lasts longer", async () => {
        let n = 0;
        assert.equal(await waitUntil(new Deadline(1000, "x"), () => "n", async () => (++n >= 3 ? n : undefined), 1), 3);
        const d = new Deadline(0, "x");
        d.extend(1000);
        assert.ok(d.left() > 900);
    });
});
