<%@ page contentType="text/html; charset=UTF-8" pageEncoding="UTF-8" session="false" %>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>pulllab: registry.war</title>
</head>
<body>
  <h1>This page is served by registry.war &mdash; the image in the registry</h1>
  <p>
    pulllab pushed two images under the same tag: one deploys <code>node.war</code>, the other
    <code>registry.war</code>. This pod runs the <strong>registry</strong> variant.
  </p>
  <p>Server: <%= application.getServerInfo() %></p>
</body>
</html>
