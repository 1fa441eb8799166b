//! Integration tests of the emulator over real loopback HTTP, one module per API plus the
//! cross-cutting wire rules (errors, paging, enums, faults, persistence).

mod common;

mod apigateway;
mod apikeys;
mod aws;
mod crosscutting;
mod dataplane;
mod iam;
mod resourcemanager;
mod run;
mod serviceusage;
