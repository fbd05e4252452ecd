import type { RoutePlugin } from '../../http/route-kit.js';
export const orukRoutes: RoutePlugin = async () => undefined;
