// Bundle-time stand-in for the `events` package: mqtt-packet only needs on/emit (its parser
// emits 'packet' and 'error'), and the npm package costs ~6 KB of a size-budgeted bundle.
// Like Node's, an 'error' event without a listener throws.
'use strict';
class EventEmitter {
  constructor() { this._events = Object.create(null); }
  on(name, fn) { (this._events[name] ||= []).push(fn); return this; }
  addListener(name, fn) { return this.on(name, fn); }
  once(name, fn) {
    const wrapped = (...args) => { this.removeListener(name, wrapped); fn.apply(this, args); };
    return this.on(name, wrapped);
  }
  removeListener(name, fn) {
    const list = this._events[name];
    if (list) this._events[name] = list.filter((f) => f !== fn);
    return this;
  }
  off(name, fn) { return this.removeListener(name, fn); }
  removeAllListeners(name) {
    if (name === undefined) this._events = Object.create(null); else delete this._events[name];
    return this;
  }
  listenerCount(name) { return (this._events[name] || []).length; }
  emit(name, ...args) {
    const list = this._events[name];
    if (!list || list.length === 0) {
      if (name === 'error') throw args[0] instanceof Error ? args[0] : new Error(String(args[0]));
      return false;
    }
    for (const fn of [...list]) fn.apply(this, args);
    return true;
  }
}
module.exports = EventEmitter;
module.exports.EventEmitter = EventEmitter;
module.exports.default = EventEmitter;
