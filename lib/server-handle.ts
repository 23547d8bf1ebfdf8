// What every protocol worker's start function returns, so `npm start` can run them in one process
// and stop them cleanly.
export interface RunningServer {
  name: string;
  /** Ports actually bound (useful when started on port 0). */
  ports: number[];
  close(): Promise<void>;
}
