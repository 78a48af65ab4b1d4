/** CLUSTER REPLICATE: nodes attached to the masters they should serve. */
import { ReplicaAssignment } from "../../planning/reshard";
import { ClusterView } from "../../planning/clusterView";
import { NodePool } from "../pool";
import { Deadline, Log, waitUntil } from "../wait";

/** Sends CLUSTER REPLICATE for each assignment, retrying until the replica knows its master. */
export async function replicate(pool: NodePool, view: ClusterView, assignments: ReplicaAssignment[], deadline: Deadline, log: Log): Promise<void> {
    const lineOf = (id: string) => view.byId(id)!;
    await Promise.all(
        assignments.map(async (a) => {
            const line = lineOf(a.node);
            const client = await pool.at(line.ip, line.port);
            await waitUntil(deadline, () => `${pool.label(line.ip, line.port)} to accept CLUSTER REPLICATE ${a.masterId}`, async () => {
                await client.call("CLUSTER", "REPLICATE", a.masterId);
                return true;
            });
        }),
    );
    if (assignments.length > 0) {
        const name = (id: string) => pool.label(lineOf(id).ip, lineOf(id).port);
        log(`replicas attached: ${assignments.map((a) => `${name(a.node)}->${name(a.masterId)}`).join(", ")}`);
    }
}
