/**
 * Password rotation, decided in one place. A change of password goes through
 * two states: while the rolling gates restart nodes, every node accepts the
 * old and the new password and replicas present the new one; when the
 * bootstrap finishes, only the new one is accepted. Pure: it returns the
 * commands, in order, that put one node in a state.
 */

/** Every node accepts both passwords (or none, when one side has none); replicas present the new one. */
export function acceptBoth(password: string | undefined, previous: string | undefined): string[][] {
    // Without a password on one side, clients that send none must get in: no password check at all.
    const accept = password === undefined || previous === undefined ? ["nopass"] : [`>${password}`, `>${previous}`];
    return [
        ["ACL", "SETUSER", "default", "on", ...accept],
        // masteruser makes replicas send AUTH default <password>: a master still without a password
        // (nopass) refuses the one-argument AUTH that masterauth alone sends, but accepts this form.
        ["CONFIG", "SET", "masteruser", "default", "masterauth", password ?? ""],
    ];
}

/** Only the configured password (or none) is accepted, as the rendered redis.conf says. */
export function onlyCurrent(password: string | undefined): string[][] {
    return [
        // masteruser back to redis.conf's (none), which a rotation set.
        ["CONFIG", "SET", "masteruser", "", "masterauth", password ?? "", "requirepass", password ?? ""],
        // CONFIG SET requirepass to the value a node already has is a no-op in Redis 7: it would leave the
        // old password that the rotation added with ACL SETUSER. resetpass drops every other password.
        ["ACL", "SETUSER", "default", "on", ...(password === undefined ? ["nopass"] : ["resetpass", `>${password}`])],
    ];
}

/** A rotation is in progress when the deployed password differs from the configured one. */
export function isRotating(password: string | undefined, previous: string | undefined): boolean {
    return password !== previous;
}
