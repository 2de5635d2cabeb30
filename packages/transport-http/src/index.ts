export { createHttpHandler, type HttpHandler, type HttpHandlerOptions } from './create-http-handler.js';
export { createParleyMetrics, type ParleyMetrics, type MetricsOptions } from './metrics.js';
export { STATUS_BY_CODE } from './http-io.js';
export { createWebhookAdminHandler, type WebhookAdminOptions } from './webhook-admin-handler.js';
