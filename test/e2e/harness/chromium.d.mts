export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: readonly string[];
export declare const DISABLED_FEATURES: readonly string[];
export declare const FEATURES_SWITCH: string;
export declare function playwrightDisableFeatureSwitches(): Promise<string[]>;
export declare function featuresOf(switches: string[]): string[];
export declare function findBrowserProcess(marker: string): { pid: number; argv: string[] } | null;
