/** The stack's config namespace (its own module: settings, hosts and safety all name keys with it). */
export const CONFIG_NAMESPACE = "redis-cluster";
