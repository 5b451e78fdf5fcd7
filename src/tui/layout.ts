export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Layout {
  header: Rect;
  /** null: not shown (berth up, or the log full screen). */
  instances: Rect | null;
  services: Rect | null;
  log: Rect;
  message: Rect;
  hints: Rect;
}

export interface LayoutInput {
  width: number;
  height: number;
  /** Whether the instance list shows (berth top). */
  instances: boolean;
  /** Width the instance list's rows want. */
  instancesWidth: number;
  instanceCount: number;
  serviceCount: number;
  fullScreen: boolean;
}

/**
 * Where each pane goes: a header line on top, the message line and the key hints at the
 * bottom; between them the instances and services side by side, as high as their rows need up
 * to 45 % of the height, and the log below in the rest (all of it when full screen).
 */
export function layout(input: LayoutInput): Layout {
  const width = Math.max(1, input.width);
  const height = Math.max(4, input.height);
  const panes = height - 3;
  const line = (top: number): Rect => ({ left: 0, top, width, height: 1 });
  const base = { header: line(0), message: line(height - 2), hints: line(height - 1) };
  if (input.fullScreen || panes < 6) return { ...base, instances: null, services: null, log: { left: 0, top: 1, width, height: panes } };
  const want = Math.max(input.serviceCount + 3, input.instances ? input.instanceCount + 2 : 0, 4);
  const tables = Math.min(want, Math.max(4, Math.floor(panes * 0.45)));
  const left = input.instances ? Math.min(input.instancesWidth + 2, Math.floor(width * 0.4)) : 0;
  return {
    ...base,
    instances: input.instances ? { left: 0, top: 1, width: left, height: tables } : null,
    services: { left, top: 1, width: width - left, height: tables },
    log: { left: 0, top: 1 + tables, width, height: panes - tables },
  };
}
