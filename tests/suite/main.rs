//! keyway's integration tests, in one binary (one link instead of twenty, and a much smaller
//! `target/`): each module is one area, most of them running the real `keyway` binary
//! (`support`) against the emulator; `emulator` drives the emulator over loopback HTTP.

mod support;

mod adopt_terraform;
mod api_gateway_keys;
mod apply_failures;
mod aws_emulator;
mod aws_iam;
mod aws_moto;
mod aws_openapi;
mod aws_parts;
mod aws_rest_cors;
mod aws_terraform;
mod backend_gcs;
mod backend_local;
mod backend_pg;
mod backend_s3;
mod backend_s3_settings;
mod checkov;
mod checks_http;
mod conformance;
mod dynamic_blocks;
mod emulator;
mod encryption;
mod engine_cli;
mod equivalence;
mod everyday_language;
mod examples;
mod first_run;
mod fmt_fixtures;
mod fuzz;
mod gateway_traffic;
mod gcs_backend;
mod google_apigw;
mod google_apikeys;
mod google_e2e;
mod google_engine;
mod google_failures;
mod google_import;
mod google_provider;
mod google_run;
mod google_types;
mod import_blocks;
mod json_equivalence;
mod kill_points;
mod limits;
mod module_sources;
mod modules;
mod provisioners;
mod real_world;
mod render_snapshots;
mod state_safety;
mod state_store;
mod utility_providers;
mod workspaces;
