/** A size for people: 512 B, 12.3 KB, 4.5 MB, 1.2 GB (powers of 1024). */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n} B` : `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}
