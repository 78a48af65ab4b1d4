/** Puts nodes in a password state decided by planning/passwords. */
import { NodePool } from "./pool";

/** Runs the state's commands, in order, on each named node (nodes in parallel). */
export async function applyPasswordState(pool: NodePool, names: string[], commands: string[][]): Promise<void> {
    await Promise.all(
        names.map(async (name) => {
            for (const [command, ...args] of commands) {
                await pool.client(name).call(command, ...args);
            }
        }),
    );
}
