/**
 * Masks what changes without the infrastructure changing: asset hashes (the bot bundle, the custom
 * resource code) and account ids, so a snapshot diff is always a real template change.
 */
export function maskForSnapshot<T>(template: T): T {
  return JSON.parse(
    JSON.stringify(template)
      .replace(/[0-9a-f]{64}/g, '<asset-hash>')
      .replace(/\b\d{12}\b/g, '<account>'),
  ) as T;
}
