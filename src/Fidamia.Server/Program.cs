using Fidamia.Core;
using Fidamia.Gis;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Routing;
using Fidamia.Server;

// appsettings.json ships beside the binary; relative paths in settings still resolve against the current directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddFidamiaCore();
builder.AddFidamiaImaging();
builder.AddFidamiaInference();
builder.AddFidamiaGis();
builder.AddFidamiaRouting();
builder.AddFidamiaServer();

var app = builder.Build();
app.MapFidamiaServer();
return await app.RunFidamiaAsync();
