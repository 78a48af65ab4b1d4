/**
 * One engine step run against a FakeCluster, in this process: a pool over every node of the fake, what
 * the step logged, and which commands that change the cluster (isStep) each node received since a mark,
 * to show a repeated step doing nothing. stepBed() registers its own clean-up after each test.
 */
import { NodeAddress, NodePool } from "../../components/engine/pool";
import { ClusterSpec } from "../../components/engine/spec";
import { Deadline } from "../../components/engine/wait";
import { FakeCluster, FakeNode, isStep } from "./fakeCluster";
import { Plan, clusterOf, planOf, specFor } from "./fakePlans";

export class StepBed {
    cluster!: FakeCluster;
    pool!: NodePool;
    readonly log: string[] = [];
    readonly record = (message: string) => void this.log.push(message);
    private marks = new Map<FakeNode, number>();

    /** Nodes of those names, knowing nobody, owning nothing. */
    async fresh(...names: string[]): Promise<this> {
        this.cluster = new FakeCluster();
        for (const name of names) await this.cluster.addNode(name);
        return this.connect();
    }

    /** A cluster of `shards` (3 or 4) shards with `replicas` each, holding the keys of fakePlans; m4 and r4 are started anyway. */
    async formed(shards: 3 | 4, replicas: number): Promise<this> {
        this.cluster = await clusterOf(shards, replicas);
        return this.connect();
    }

    /** A pool over every node of the fake, all connected. */
    async connect(): Promise<this> {
        this.pool?.close();
        this.pool = new NodePool(this.cluster.nodes.map((n) => this.address(n.name)), { access: {} });
        await this.pool.connectPlanned();
        this.mark();
        return this;
    }

    named(name: string): FakeNode {
        const node = this.cluster.nodes.find((n) => n.name === name);
        if (!node) throw new Error(`no fake node ${name}`);
        return node;
    }

    /** `name` meets the node m1 (gossip in the fake is instant: it knows m1's cluster at once). */
    async join(name: string): Promise<void> {
        await this.pool.call("m1", "CLUSTER", "MEET", "127.0.0.1", String(this.address(name).port));
    }

    /** The nodes that know `id`, by name. */
    knowing(id: string): string[] {
        return this.cluster.nodes.filter((n) => n.knows.has(id)).map((n) => n.name);
    }

    address(name: string): NodeAddress {
        return { name, ip: "127.0.0.1", port: this.named(name).server.port };
    }

    spec(plan: Plan = planOf(3, 0), leaving: string[] = [], timeoutMs = 5000): ClusterSpec {
        return specFor(this.cluster, plan, leaving, timeoutMs);
    }

    deadline(ms = 5000): Deadline {
        return new Deadline(ms, "test");
    }

    /** From here on, steps() counts anew. */
    mark(): void {
        this.marks = new Map(this.cluster.nodes.map((n) => [n, n.server.received.length]));
    }

    /** Commands that change the cluster received since the mark, as "node: COMMAND SUB". */
    steps(): string[] {
        return this.cluster.nodes.flatMap((n) =>
            n.server.received
                .slice(this.marks.get(n) ?? 0)
                .filter(isStep)
                .map((c) => `${n.name}: ${c.slice(0, 2).join(" ")}`),
        );
    }

    async close(): Promise<void> {
        this.pool?.close();
        await this.cluster?.close();
        this.log.length = 0;
    }
}

export function stepBed(): StepBed {
    const bed = new StepBed();
    afterEach(() => bed.close());
    return bed;
}
