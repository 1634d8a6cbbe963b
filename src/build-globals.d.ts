declare const __WANPULSE_VERSION__: string;
