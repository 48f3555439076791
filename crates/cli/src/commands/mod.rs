//! One module per subcommand: its arguments and what it does.

pub mod aggregate;
pub mod batch;
pub mod bench;
pub mod client;
pub mod da;
pub mod demo;
pub mod keys;
pub mod load;
pub mod programs;
pub mod prove;
pub mod rollup;
pub mod run;
pub mod serve;
pub mod verify;
