/** One log line as a JSON object: `{"time":ISO,"level","msg",…fields}` (the fields after, never over those three). */
export function jsonLogLine(level: 'info' | 'warn' | 'error', msg: string, fields: Readonly<Record<string, unknown>> = {}, nowMs: number = Date.now()): string {
  return JSON.stringify({ ...fields, time: new Date(nowMs).toISOString(), level, msg }, ['time', 'level', 'msg', ...Object.keys(fields)]);
}
