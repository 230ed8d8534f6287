/** The part of autocannon's API the proxy benchmark uses (the package ships no types). */
declare module 'autocannon' {
  interface Options { url: string; connections?: number; duration?: number; headers?: Record<string, string>; servername?: string }
  interface Result { requests: { average: number }; latency: { p50: number }; non2xx: number; errors: number }
  export default function autocannon(opts: Options): Promise<Result>;
}
