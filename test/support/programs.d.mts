export const ESSENTIAL: Set<string>;
export const ROUTER_ONLY: Set<string>;
export function declaredPackages(file?: string): { pkg: string; cmds: string[] }[];
export function declaredCommands(file?: string): Set<string>;
export function which(cmd: string): string | null;
export function programsOf(file: string, args?: string[]): string[];
export function problemWith(name: string, declared: Set<string>): string | null;
