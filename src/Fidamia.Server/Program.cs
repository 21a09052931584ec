using Fidamia.Core;
using Fidamia.Gis;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Routing;
using Fidamia.Security;
using Fidamia.Server;
using Fidamia.Storage;

// appsettings.json ships beside the binary; relative paths in settings resolve from the current directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddFidamiaCore();
builder.AddFidamiaImaging();
builder.AddFidamiaInference();
builder.AddFidamiaGis();
builder.AddFidamiaRouting();
builder.AddFidamiaStorage();
builder.AddFidamiaSecurity();
builder.AddFidamiaServer();

var app = builder.Build();
app.UseFidamiaSecurity();
app.MapFidamiaServer();
return await app.RunFidamiaAsync();
