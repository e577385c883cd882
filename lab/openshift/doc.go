// Package openshift is pulllab's OpenShift backend: everything the article
// did by hand with oc, done through the OpenShift APIs with client-go and
// openshift/client-go, on OpenShift Local (CRC) or any OpenShift 4.x or 5.x
// cluster (or OKD) reached as cluster-admin.
//
// What `pulllab up` does, step by step:
//
//   - Connect: checks the cluster is OpenShift (the image.openshift.io and
//     build.openshift.io API groups), that the user may do what the lab
//     needs (SelfSubjectAccessReviews), and creates the lab project with a
//     ProjectRequest (an existing project is used only when pulllab made it).
//   - ImportBase: `oc import-image` as one ImageStreamImport: the base image
//     lands in an ImageStream named after the image (eap74-openjdk11-…) under
//     the image's tag.
//   - BuildVariants: `oc new-build --binary` and `oc start-build
//     --from-file`: one BuildConfig per variant (pulllab-node,
//     pulllab-registry), Source strategy on the base ImageStreamTag (on the
//     WildFly S2I builder with the Galleon provisioning of lab.S2IBuildEnv,
//     because that builder holds no server of its own), output
//     to the stash ImageStream pulllab-variants:node / :registry, started by
//     posting the WAR to buildconfigs/NAME/instantiatebinary?asFile=node.war.
//     A variant whose stashed image was built from the same WAR bytes is
//     reused, not rebuilt.
//
// During `pulllab verify` the app's pull spec is
// image-registry.openshift-image-registry.svc:5000/<ns>/custom-image-java:<tag>,
// by tag as in the article. "The registry serves the registry variant" is
// the ImageStreamTag custom-image-java:<tag> pointing at the stashed image by
// digest (`oc tag`, no rebuild); "the registry serves nothing" is the
// custom-image-java ImageStream deleted (`oc delete is`, as in the
// article). Pods go through lab/workload; the node's image cache is read and
// changed through lab/node's privileged debug pod, which runs in the
// namespace <ns>-debug.
package openshift
