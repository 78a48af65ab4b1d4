/** The stack's config namespace, and config keys as users type them. */
export const CONFIG_NAMESPACE = "redis-cluster";

export function configKey(name: string): string {
    return `${CONFIG_NAMESPACE}:${name}`;
}
