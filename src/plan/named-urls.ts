/**
 * Named URLs: the host names an instance's apps are reached by through the local proxy. Pure.
 *
 * Every app with a port is `http://<app>.<N>.<project>.localhost:<port>`; the instance's home app
 * (its frontend) is also `http://<N>.<project>.localhost:<port>`. An instance whose checkout is on a
 * branch gets the same names with the branch in place of the number. Browsers and curl resolve every
 * `*.localhost` name to loopback without any DNS set-up, and each name has its own cookie jar.
 */

const LABEL_MAX = 63;

/**
 * A branch name as one DNS label: lower case, runs of anything but letters and digits become '-'.
 * Undefined when nothing is left, or when only digits are (it would read as an instance number).
 */
export function hostLabel(branch: string): string | undefined {
  const label = branch.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, LABEL_MAX).replace(/-+$/, '');
  return label === '' || /^\d+$/.test(label) ? undefined : label;
}

/** The host name of an app of an instance (`backend.2.shipsec.localhost`); without app: the home name. */
export const appHost = (project: string, instance: number | string, app?: string): string =>
  `${app ? `${app}.` : ''}${instance}.${project}.localhost`;

/** A name's URL on the proxy's port: https when asked (the port left out where it is the scheme's own). */
export const hostUrl = (host: string, port: number, https = false): string =>
  `${https ? 'https' : 'http'}://${host}${port === (https ? 443 : 80) ? '' : `:${port}`}`;

/** A name's URL as the proxy serves it: over HTTPS on its port when HTTPS is on. */
export const namedUrl = (host: string, proxy: { port: number; https?: { port: number } }): string =>
  (proxy.https ? hostUrl(host, proxy.https.port, true) : hostUrl(host, proxy.port));

