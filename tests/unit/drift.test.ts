import { strict as assert } from "assert";
import fc from "fast-check";
import { ObservedNode, PlannedShape, shapeDrift } from "../../components/planning/drift";
import { formatRange, splitSlots } from "../../components/planning/slots";
import { NodeLine, assess, parseClusterNodes } from "../../components/planning/topology";

/** A cluster of `shards` x `replicas` on 10.50.0.0/24 as the plan has it, and the live CLUSTER NODES lines that match it. */
function cluster(shards: number, replicas: number, failedOver: boolean[]) {
    const count = shards * (replicas + 1);
    const nodes = Array.from({ length: count }, (_, i) => ({ name: `n-${i + 1}`, ip: `10.50.0.${11 + i}`, port: 6379, id: `id${i + 1}` }));
    const ranges = splitSlots(shards);
    const plan: PlannedShape = { nodes: nodes.map(({ name, ip, port }) => ({ name, ip, port })), shards: ranges.map((r) => ({ slots: [formatRange(r)] })), replicasPerShard: replicas };
    const lines: string[] = [];
    ranges.forEach((r, k) => {
        const members = [nodes[k], ...Array.from({ length: replicas }, (_, j) => nodes[shards + k * replicas + j])];
        // A failover makes a replica the master: the shape is the same.
        const [master, ...rest] = failedOver[k] && replicas > 0 ? [members[1], members[0], ...members.slice(2)] : members;
        lines.push(`${master.id} ${master.ip}:6379@16379 master - 0 0 ${k + 1} connected ${formatRange(r)}`);
        for (const m of rest) lines.push(`${m.id} ${m.ip}:6379@16379 slave ${master.id} 0 0 ${k + 1} connected`);
    });
    const viewOf = (extra: string[] = []) => (id: string) => parseClusterNodes([...lines, ...extra].map((l) => (l.startsWith(`${id} `) ? l.replace(/ (master|slave) /, " myself,$1 ") : l)).join("\n"));
    const observe = (extra: string[] = []): ObservedNode[] => nodes.map((n) => ({ name: n.name, ip: n.ip, port: n.port, view: viewOf(extra)(n.id) }));
    return { nodes, plan, lines, observe };
}

const shapes = fc.record({ shards: fc.integer({ min: 3, max: 12 }), replicas: fc.integer({ min: 0, max: 2 }), failedOver: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }) });

describe("drift: the live cluster against the plan", () => {
    it("finds none in a cluster of the planned shape, failovers included", () => {
        fc.assert(
            fc.property(shapes, ({ shards, replicas, failedOver }) => {
                const c = cluster(shards, replicas, failedOver);
                assert.deepEqual(shapeDrift(c.observe(), c.plan), []);
            }),
        );
    });

    it("finds a member outside the plan (a killed scale-out reverted), naming it and its slots", () => {
        fc.assert(
            fc.property(shapes, fc.integer({ min: 1, max: 200 }), ({ shards, replicas, failedOver }, moved) => {
                const c = cluster(shards, replicas, failedOver);
                // The new master took `moved` slots from the first shard's master before the run died.
                const first = c.lines[0].split(" ");
                const [start, end] = first[8].split("-").map(Number);
                const lines = c.lines.map((l, i) => (i === 0 ? l.replace(first[8], `${start + moved}-${end}`) : l));
                const extra = `idX 10.50.0.200:6379@16379 master - 0 0 99 connected ${start}-${start + moved - 1}`;
                const observed = c.nodes.map((n) => ({ name: n.name, ip: n.ip, port: n.port, view: parseClusterNodes([...lines, extra].join("\n")) }));
                const drift = shapeDrift(observed, c.plan).join("\n");
                assert.match(drift, new RegExp(`10\\.50\\.0\\.200:6379 is a member of the cluster but not in the plan and owns ${moved} slot`));
                assert.match(drift, /the slots are split as/);
            }),
        );
    });

    it("finds a half-done split, a missing replica, open slots and a node that does not answer", () => {
        fc.assert(
            fc.property(shapes, fc.nat(), fc.constantFrom("split", "replica", "open", "silent"), ({ shards, replicas, failedOver }, pick, kind) => {
                const c = cluster(shards, replicas, failedOver);
                let observed = c.observe();
                const i = pick % observed.length;
                if (kind === "split") {
                    // One slot moved from one master to the next: the counts no longer match the plan.
                    const masters = observed[0].view!.filter((l) => l.flags.includes("master"));
                    masters[0].slots = [{ start: masters[0].slots[0].start, end: masters[0].slots[0].end - 1 }];
                    masters[1].slots = [{ start: masters[1].slots[0].start - 1, end: masters[1].slots[0].end }];
                    observed = observed.map((o) => ({ ...o, view: observed[0].view }));
                } else if (kind === "replica") {
                    const view = observed[0].view!;
                    const replica = view.find((l) => l.masterId !== undefined);
                    const changed: NodeLine[] = replica ? view.filter((l) => l !== replica) : [...view, { ...view[0], id: "idR", ip: "10.50.0.99", flags: ["slave"], masterId: view[0].id, slots: [], openSlots: [] }];
                    if (!replica) c.plan.nodes.push({ name: "n-r", ip: "10.50.0.99", port: 6379 });
                    observed = observed.map((o) => ({ ...o, view: changed }));
                } else if (kind === "open") {
                    const self = observed[i].view!.find((l) => l.flags.includes("myself"))!;
                    self.openSlots = [{ slot: 5, state: "importing", peer: "id1" }];
                } else {
                    observed[i] = { ...observed[i], view: undefined };
                }
                assert.ok(shapeDrift(observed, c.plan).length > 0, kind);
            }),
        );
    });

    it("finds replicas on their master's host while a replica on another host could serve (the placement rule), none once moved", () => {
        // 3x1 over three hosts, node i on host (i-1) mod 3; each replica sits on its own master's host.
        const c = cluster(3, 1, []);
        const hostOf = (i: number) => `h${i % 3}`;
        c.plan.nodes.forEach((n, i) => (n.host = hostOf(i)));
        const masters = [c.lines[0], c.lines[2], c.lines[4]];
        const shared = [...masters, `id4 10.50.0.14:6379@16379 slave id1 0 0 1 connected`, `id5 10.50.0.15:6379@16379 slave id2 0 0 2 connected`, `id6 10.50.0.16:6379@16379 slave id3 0 0 3 connected`];
        const observe = (lines: string[]) => c.nodes.map((n) => ({ name: n.name, ip: n.ip, port: n.port, view: parseClusterNodes(lines.join("\n")) }));
        const drift = shapeDrift(observe(shared), c.plan);
        assert.equal(drift.length, 3, drift.join("\n"));
        assert.match(drift.join("\n"), /should replicate .* so that no two members of a shard share a host/);
        const rotated = [...masters, `id4 10.50.0.14:6379@16379 slave id2 0 0 1 connected`, `id5 10.50.0.15:6379@16379 slave id3 0 0 2 connected`, `id6 10.50.0.16:6379@16379 slave id1 0 0 3 connected`];
        assert.deepEqual(shapeDrift(observe(rotated), c.plan), []);
    });

    it("says so when no node answers, rather than finding nothing", () => {
        const c = cluster(3, 1, []);
        const drift = shapeDrift(c.observe().map((o) => ({ ...o, view: undefined })), c.plan);
        assert.equal(drift.length, 6);
        assert.match(drift[0], /n-1 \(10\.50\.0\.11:6379\) does not answer/);
    });
});

describe("assess: members outside the plan", () => {
    const report = (i: number, view: string) => ({ name: `n-${i}`, ip: `10.50.0.${10 + i}`, port: 6379, keys: 0, view: parseClusterNodes(view) });
    const line = (i: number, flags: string, slots = "") => `id${i} 10.50.0.${10 + i}:6379@16379 ${flags} - 0 0 ${i} connected ${slots}`.trim();

    it("drains a member the planned nodes know (left by a run of another plan), never calls it another cluster", () => {
        const text = (self: number) =>
            [line(1, "master", "0-5000"), line(2, "master", "5001-10922"), line(3, "master", "10923-16383"), "idX 10.50.0.17:6379@16379 master - 0 0 9 connected 5000"]
                .map((l, k) => (k === self - 1 ? l.replace(" master ", " myself,master ") : l))
                .join("\n");
        const verdict = assess([1, 2, 3].map((i) => report(i, text(i))));
        assert.deepEqual(verdict, { kind: "formed", joining: [], departing: ["10.50.0.17:6379"] });
    });

    it("refuses a node that knows only nodes outside the plan, without advice that deletes its data", () => {
        const verdict = assess([report(1, `${line(1, "myself,master", "0-100")}\nzz 10.77.0.5:6379@16379 master - 0 0 2 connected`), report(2, line(2, "myself,master")), report(3, line(3, "myself,master"))]);
        assert.equal(verdict.kind, "refuse");
        const reasons = verdict.kind === "refuse" ? verdict.reasons.join("\n") : "";
        assert.match(reasons, /n-1 \(10\.50\.0\.11:6379\) belongs to another cluster/);
        assert.doesNotMatch(reasons, /remove its volume/);
    });
});
