/** Graph and split trainers register themselves here once graph mode is available. */
export {};
