// Types of bin/built-cli.js, for the TypeScript that imports it (test/cli-launcher.test.ts).
export declare const BUILD_DIR: string;
export declare const MANIFEST: string;
export declare const MANIFEST_VERSION: number;
export declare function digestOf(file: string): string;
export declare function builtEntry(root: string): string | undefined;
