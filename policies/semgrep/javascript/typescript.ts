export function makeSession(): string {
  // ruleid: ts-insecure-randomness-token
  const sessionToken: string = Math.random().toString(36).slice(2);
  // ok: ts-insecure-randomness-token
  const jitter = Math.random() * 100;
  return sessionToken + String(jitter);
}
