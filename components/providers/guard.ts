/**
 * The ChangeGuard's provider (resources/changeGuard.ts declares the resource): refuses, at preview
 * and at up, a config change that would lose the cluster's data or take every node down at once.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterIdentity, refusedChanges } from "../planning/safety";

interface Inputs {
    identity: ClusterIdentity;
    /**
     * What the last successful up applied; absent before it was recorded. The guard's own inputs are
     * stored as soon as it passes, before anything else is applied: a run that then fails (a mistyped
     * image, a killed full restart) would otherwise leave them as if applied, spending an opt-in or
     * turning the way back into a refused downgrade. Not compared in diff: only a reference.
     */
    applied?: ClusterIdentity;
    allowFullRestart: boolean;
    /** Absent in state written before it existed. */
    allowDowngrade?: boolean;
}

export const changeGuardProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<Inputs>, news: Inputs): Promise<pulumi.dynamic.CheckResult> {
        // `olds` are the guard's inputs from the last run that got past it, which may have failed later.
        const failures = refusedChanges(news.applied ?? olds.identity, news.identity, news.allowFullRestart, news.allowDowngrade ?? false).map((reason) => ({ property: "identity", reason }));
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        const changes =
            JSON.stringify(olds.identity) !== JSON.stringify(news.identity) ||
            olds.allowFullRestart !== news.allowFullRestart ||
            (olds.allowDowngrade ?? false) !== (news.allowDowngrade ?? false);
        return { changes, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: inputs.identity.namePrefix, outs: inputs };
    },
    async update(_id: string, _olds: Inputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: news };
    },
};
