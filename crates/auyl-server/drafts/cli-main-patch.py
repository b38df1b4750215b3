def cli_main(s):
    if "Users(serve::UsersArgs)" not in s:
        s = s.replace("""    /// Serve the web application and HTTP API.
    Serve(serve::ServeArgs),
""", """    /// Serve the web application and HTTP API.
    Serve(serve::ServeArgs),
    /// Accounts of the web application: add (the first administrator), list, delete.
    Users(serve::UsersArgs),
""", 1)
        s = s.replace("""        Command::Serve(args) => serve::run(args, &database(&cli.database), json).await,
""", """        Command::Serve(args) => serve::run(args, &database(&cli.database), json).await,
        Command::Users(args) => serve::users(args, &database(&cli.database), json).await,
""", 1)
        s = s.replace("""    let result = rt.block_on(async {
        tokio::select! {""", """    let result = rt.block_on(async {
        if matches!(cli.command, Command::Serve(_)) {
            // The server stops itself on Ctrl-C, letting open requests finish.
            return run(cli).await;
        }
        tokio::select! {""", 1)
    return s
def cli_toml(s):
    if "auyl-server.workspace" not in s:
        s = s.replace("auyl-network.workspace = true\n", "auyl-network.workspace = true\nauyl-server.workspace = true\n", 1)
    return s
edit("crates/auyl-cli/src/main.rs", cli_main)
edit("crates/auyl-cli/Cargo.toml", cli_toml)
