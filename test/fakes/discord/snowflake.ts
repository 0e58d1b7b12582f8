/**
 * Real-looking Discord snowflakes (17–19 digits). @discordjs/rest groups requests into
 * rate-limit buckets by matching `\d{17,19}` ids in the route, so fake ids must have
 * the real shape or the client would queue requests differently than against Discord.
 */
const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | (1n << 12n) | increment).toString();
}

export function timestampOf(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}
