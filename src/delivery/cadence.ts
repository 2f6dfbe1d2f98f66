/** While only the progress line (or the task cards) changes, the thread is edited at most this often. */
export const STATUS_INTERVAL_MS = 10_000;
