import type { ChatServices, RealtimeHub } from '@parley/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ParleyMetrics {
  registry: Registry;
  /** Records one REST request. */
  observeHttp(route: string, method: string, status: number, seconds: number): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
  /** Stops listening to the hub and services. */
  close(): void;
}

export interface MetricsOptions {
  services?: ChatServices;
  hub?: RealtimeHub;
  /** A registry of the host's; by default a new one (never prom-client's global). */
  registry?: Registry;
  /** Process metrics, event-loop lag among them. Default true. */
  defaultMetrics?: boolean;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Parley's Prometheus metrics: connections, frames in and out by type, messages sent, errors
 * by code, event-loop lag, and latency histograms of REST routes and WebSocket handlers.
 */
export function createParleyMetrics(options: MetricsOptions = {}): ParleyMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const hub = options.hub;
  new Gauge({
    name: 'parley_ws_connections',
    help: 'WebSocket connections open on this node',
    registers: [registry],
    collect() {
      this.set(hub?.connectionCount ?? 0);
    },
  });
  const framesIn = new Counter({ name: 'parley_ws_frames_in_total', help: 'Client frames received, by event type', labelNames: ['type'], registers: [registry] });
  const framesOut = new Counter({ name: 'parley_ws_frames_out_total', help: 'Frames sent to sockets, by event type', labelNames: ['type'], registers: [registry] });
  const messages = new Counter({ name: 'parley_messages_sent_total', help: 'Messages stored, by message type', labelNames: ['type'], registers: [registry] });
  const errors = new Counter({ name: 'parley_errors_total', help: 'Errors answered, by code and transport', labelNames: ['code', 'transport'], registers: [registry] });
  const httpLatency = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'REST handler latency',
    labelNames: ['route', 'method', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const wsLatency = new Histogram({
    name: 'parley_ws_handler_duration_seconds',
    help: 'WebSocket frame handler latency, by event type',
    labelNames: ['type'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  const off: Array<() => void> = [];
  if (hub !== undefined) {
    // Straight from the hub (no event per frame), into label children looked up once per type.
    const perType = <T>(make: (type: string) => T) => {
      const children = new Map<string, T>();
      return (type: string) => {
        let child = children.get(type);
        if (child === undefined) children.set(type, (child = make(type)));
        return child;
      };
    };
    const inOf = perType((type) => framesIn.labels({ type }));
    const outOf = perType((type) => framesOut.labels({ type }));
    const latencyOf = perType((type) => wsLatency.labels({ type }));
    const errorOf = perType((code) => errors.labels({ code, transport: 'ws' }));
    off.push(
      hub.addMeter({
        frameIn: (type) => inOf(type).inc(),
        frameOut: (type, sockets) => outOf(type).inc(sockets),
        frameError: (_type, code) => errorOf(code).inc(),
        frameHandled: (type, durationMs) => latencyOf(type).observe(durationMs / 1000),
      }),
    );
  }
  if (options.services !== undefined) {
    const events = options.services.events;
    const onMessage = ({ message }: { message: { type: string } }) => messages.inc({ type: message.type });
    events.on('message_created', onMessage);
    off.push(() => events.off('message_created', onMessage));
  }

  return {
    registry,
    contentType: registry.contentType,
    observeHttp(route, method, status, seconds) {
      httpLatency.observe({ route, method, status: String(status) }, seconds);
      if (status >= 400) errors.inc({ code: String(status), transport: 'http' });
    },
    render: () => registry.metrics(),
    close() {
      for (const stop of off.splice(0)) stop();
    },
  };
}
