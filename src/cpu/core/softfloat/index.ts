// Soft-float library with exact AArch64 (ARMv8.0-A) semantics: public API.

export * from "./fpcr";
export * from "./f32";
export * from "./f64";
export * from "./convert";
export { urecpe, ursqrte } from "./estimate";
