// Vite's dev server for the demo frontend, through Vite's own API (what its CLI does): `vite` is
// found in whichever node_modules the project has, here or in a copy of the example.
import { createServer } from 'vite';

const server = await createServer();
await server.listen();
server.printUrls();
