/** Where a port answers: this machine, or the address of a Docker host. */

/** Where a port answers when it runs on this machine. */
export const LOCAL_HOST = 'localhost';

/** The address the tool's own clients connect to: IPv4 loopback for this machine (where local servers listen), else the host's address. */
export const clientAddress = (host: string): string => (host === LOCAL_HOST ? '127.0.0.1' : host);
