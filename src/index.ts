/** What a project's declaration imports: `import { defineStack } from 'dev-instances'`. */
export { defineStack } from './config/types.js';
export { composeEnv } from './env/compose-env.js';
export type { AppDecl, PlanContext, ServiceDecl, Sharing, StackDeclaration } from './config/types.js';
