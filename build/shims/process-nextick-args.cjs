// Bundle-time stand-in for `process-nextick-args` (mqtt-packet's writeToStream): its fallback
// still calls `process.nextTick`, and txiki.js has no `process`. A microtask is the same promise.
'use strict';
module.exports = {
  nextTick(fn, ...args) { queueMicrotask(() => fn(...args)); },
};
