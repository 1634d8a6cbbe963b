// Types of build/luci-i18n.mjs for the tests.
export const appDir: string;
export const potPath: string;
export function parsePo(text: string): Map<string, string>;
export function translatableStrings(): Map<string, string[]>;
export function nonLiteralCalls(): string[];
export function renderPot(strings?: Map<string, string[]>): string;
