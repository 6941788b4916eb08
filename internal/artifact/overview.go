package artifact

// builtinOverviewID is the unique_id of dbt's built-in overview docs
// block (its global project's docs/overview.md), which every dbt
// manifest.json lists under docs; a project's own {% docs __overview__ %}
// is there beside it, as doc.<project>.__overview__.
const builtinOverviewID = "doc.dbt.__overview__"

// builtinOverviewText is the text of kiln's built-in overview block: the
// front page of a docs site whose project writes none.
const builtinOverviewText = "### Welcome!\n\n" +
	"This is the documentation of your project, generated from its models, sources, seeds, snapshots, tests and their properties.\n\n" +
	"### Navigation\n\n" +
	"The project tree lists the nodes by folder and package, the database tree by schema; a node's page shows its description, " +
	"columns, SQL and its parents and children in the lineage graph.\n\n" +
	"Write a `{% docs __overview__ %}` block in your project to replace this page."

// builtinOverview returns dbt's built-in overview docs block, as its
// manifest.json records it: package dbt, docs/overview.md.
func builtinOverview() *docJSON {
	return &docJSON{Name: "__overview__", ResourceType: "doc", PackageName: "dbt", Path: "overview.md",
		OriginalFilePath: "docs/overview.md", UniqueID: builtinOverviewID, BlockContents: builtinOverviewText}
}
