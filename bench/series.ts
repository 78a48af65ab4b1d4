/**
 * The names of the series and ratios the report reads back by name (report.ts: analysis): one
 * constant each, used where they are measured and where they are read, so that renaming one
 * cannot leave the report reading a name nobody writes (it would print NaN).
 */
export const SERIES = {
    baselineColdUp: "baseline cold up 3x1",
    baselineConvergence: "baseline convergence 3x1 (redis-cli create + wait)",
    baselineTeardown: "baseline teardown 3x1 (docker rm -f, network rm)",
    coldUp: "ours cold up 3x1 (pulumi up --yes)",
    emptyPreview: "floor: pulumi preview of an empty program",
    preview: "ours pulumi preview 3x1, unchanged",
    noopUp: "ours no-op up 3x1 (pulumi up --yes)",
    destroy: "ours destroy 3x1 (pulumi destroy --yes)",
} as const;

export const RATIOS = {
    coldUp: "cold up 3x1",
    preview: "pulumi preview 3x1 / empty program",
    destroy: "destroy 3x1 / baseline teardown",
    backup: "backup: npm run backup / redis-cli --cluster backup",
    restore: "restore: restoreFrom / redis-cli --cluster import",
} as const;
