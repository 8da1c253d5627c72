// Package rewrite is Portico's mod_rewrite engine: it evaluates the
// RewriteRule, RewriteCond and RewriteMap configuration that package
// directives read, per request, with httpd 2.4's semantics
// (modules/mappers/mod_rewrite.c).
//
// An Engine is built once per configuration generation by New: it loads
// the text maps, parses the expr conditions and merges each virtual
// host's rules with the main server's as RewriteOptions Inherit and
// InheritBefore say. Per request the server calls
//
//   - Engine.Server, httpd's translate_name pass (hook_uri2file), with the
//     rules written outside any section, once the virtual host and the
//     URI are decided and before ProxyPass routing;
//   - Engine.Dir, httpd's fixup pass (hook_fixup), with the rules of the
//     merged <Location> sections (DirConfig builds that merge as
//     mod_rewrite's config_perdir_merge does).
//
// Both read the request through the Request interface, which the server
// implements, and return a Result: nothing to do, a new local path or
// URI, a redirect with its Location, a status ([F], [G], [R=4xx], an
// error), or a URL to proxy to ([P]); with Trace set, every rule and
// condition tried.
//
// Differences from httpd, all documented on the functions concerned:
// prg, dbm, dbd and fastdbd maps are refused by New (Portico does not run
// them); -U and -F conditions are approximated without a sub-request
// (-U: the URL-path maps to an existing file below DocumentRoot; -F: the
// file exists); %{LA-U:…} and %{LA-F:…} look the variable up in the
// current request; %{SSL:…} is empty.
package rewrite
