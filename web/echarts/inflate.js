// Raw-deflate decoder carried by every attnviz output (uncompressed, ≈ 4 kB): it
// unpacks the ECharts build and the figure's numbers. fflate (MIT), from npm.
export { inflateSync } from "fflate";
