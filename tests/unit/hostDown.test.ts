// What an up may do while a host that runs nodes does not answer, pure: a placement that stays, the
// nodes on the silent hosts, the first gate's refusal of any restart, and when pending nodes catch up.
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { catchUpNeeded, nodeChangeRefusal, nodesOnHosts, placementChanges } from "../../components/planning/hostDown";

const nodeNames = fc.uniqueArray(fc.integer({ min: 1, max: 40 }).map((i) => `r-${i}`), { minLength: 1, maxLength: 20 });
const hostName = fc.integer({ min: 1, max: 5 }).map((i) => `h${i}`);
const placementOf = (names: string[]) => fc.tuple(...names.map(() => hostName)).map((hosts) => Object.fromEntries(names.map((n, i) => [n, hosts[i]])));
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));

describe("an up with a host down", () => {
    it("sees no placement change when every node keeps its host, and names exactly the nodes added, dropped or moved (property)", () => {
        fc.assert(
            fc.property(
                nodeNames.chain((names) => fc.tuple(placementOf(names), placementOf(names), fc.subarray(names), fc.subarray(names))),
                ([deployed, other, moved, dropped]) => {
                    assert.deepEqual(placementChanges(deployed, deployed), []);
                    const planned: Record<string, string> = { ...deployed };
                    for (const n of moved) planned[n] = other[n];
                    for (const n of dropped) delete planned[n];
                    planned["r-99"] = "h1";
                    const expected = [...new Set([...moved.filter((n) => other[n] !== deployed[n]), ...dropped, "r-99"])].sort();
                    assert.deepEqual(placementChanges(planned, deployed), expected);
                },
            ),
        );
    });

    it("counts every planned node as placed anew on a cluster with no deployed placement", () => {
        assert.deepEqual(placementChanges({ "r-2": "h1", "r-1": "h2" }, undefined), ["r-1", "r-2"]);
    });

    it("finds the nodes on the silent hosts, and only those (property)", () => {
        fc.assert(
            fc.property(
                nodeNames.chain((names) => fc.tuple(placementOf(names), fc.uniqueArray(hostName))),
                ([placement, silent]) => {
                    const on = nodesOnHosts(silent, placement);
                    assert.deepEqual(on, Object.keys(placement).filter((n) => silent.includes(placement[n])));
                },
            ),
        );
    });

    it("lets a run go on with a host down only when no node's container changes (property)", () => {
        fc.assert(
            fc.property(fc.uniqueArray(hostName, { minLength: 1 }), digest, digest, (silent, applied, next) => {
                assert.equal(nodeChangeRefusal(silent, applied, applied), undefined);
                const refusal = nodeChangeRefusal(silent, next, applied);
                if (next === applied) return;
                assert.ok(refusal !== undefined);
                for (const h of silent) assert.ok(refusal.includes(`"${h}"`), refusal);
                assert.match(refusal, /restarts nodes/);
                assert.match(refusal, /replaced: true/);
            }),
        );
    });

    it("refuses when the record holds no digest (an earlier release), leaves a digest unknown at preview to the up, and judges nothing with every host answering", () => {
        const d = "a".repeat(64);
        assert.match(nodeChangeRefusal(["h2"], d, undefined)!, /earlier release/);
        assert.equal(nodeChangeRefusal(["h2"], "04da6b54-80e4-46f7-96ec-b56ff0331ba9", d), undefined);
        assert.equal(nodeChangeRefusal([], "b".repeat(64), d), undefined);
        assert.match(nodeChangeRefusal(["h2"], undefined, d)!, /restarts nodes/);
    });

    it("catches up exactly when a node passed over answers again (property)", () => {
        fc.assert(
            fc.property(nodeNames.chain((names) => fc.tuple(fc.subarray(names), fc.subarray(names))), ([pending, silent]) => {
                assert.equal(catchUpNeeded(pending, silent), pending.some((n) => !silent.includes(n)));
            }),
        );
        assert.equal(catchUpNeeded(undefined, ["r-1"]), false);
        assert.equal(catchUpNeeded(["r-1"], undefined), true);
    });
});
